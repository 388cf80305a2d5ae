import JobStatusCore

/// What a read of the job store handed over, as the connection's machine passes it to the
/// answer: one job's outcome (borrowed from the reply, valid only while it is handled), or a job
/// list whose records are all in.
enum StoreRead {
    case job(JobReadOutcome)
    case list(JobListRead)
}

/// The front's connection machine: its answers carry the store's reads.
typealias ConnectionMachine = ConnectionStateMachine<StoreRead>
