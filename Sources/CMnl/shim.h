// libmnl, found through pkg-config (Debian: libmnl-dev). Only CNetfilterShim includes it;
// this module gives SwiftPM the flags and the install hint.
#include <libmnl/libmnl.h>
