// libnftnl, found through pkg-config (Debian: libnftnl-dev). Only CNetfilterShim's nftables.c
// includes these headers; this module gives SwiftPM the flags and the install hint.
#include <libnftnl/batch.h>
#include <libnftnl/table.h>
