/// What follows an answer on its connection.
enum AnswerEnding: Equatable {
    case keepAlive
    /// Close once the answer is written.
    case close
}
