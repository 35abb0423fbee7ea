/// One nf_tables rule as the kernel receives it: the chain it is appended to, its comment (the
/// rule's user data, read back for counters and the plan record) and its expressions in order.
struct NftRule: Hashable, Sendable {
    var table: String
    var chain: String
    var comment: String?
    var expressions: [NftExpression]

    init(table: String, chain: String, comment: String?, _ expressions: [NftExpression]) {
        self.table = table
        self.chain = chain
        self.comment = comment
        self.expressions = expressions
    }
}
