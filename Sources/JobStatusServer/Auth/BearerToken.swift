/// The token of an `Authorization: Bearer <token>` value.
enum BearerToken {
    /// The token (scheme matched case-insensitively, blanks around it dropped), or nil.
    static func extract(_ header: String) -> Substring? {
        let scheme = "bearer"
        guard header.utf8.count > scheme.utf8.count + 1,
            header.prefix(scheme.count).lowercased() == scheme,
            header.dropFirst(scheme.count).first == " "
        else { return nil }
        let token = header.dropFirst(scheme.count).trimmingBlanks()
        return token.isEmpty ? nil : token
    }
}
