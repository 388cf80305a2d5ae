/// The end-to-end suites, grouped by what they need, so that a developer can run one group alone
/// (`swift test --filter EndToEndTests.<group>`, or `make test-redis`, `make test-topologies`,
/// `make test-tooling`); `make test` runs them all, with the unit tests.

/// redis-server (plain, TLS-only, with ACLs) and the built binary; Python's standard library for
/// the blackhole proxy.
enum RedisOnly {}

/// Redis topologies: a Redis Cluster, a master with replicas and sentinels.
enum Topologies {}

/// The tools around the service: nginx in front of several fronts, Prometheus' promtool and the
/// dashboard checks, schemathesis and the OpenAPI checks, the Python examples.
enum Tooling {}

/// Tests that load the whole machine. The test command runs them in a pass of their own after
/// the others (scripts/test.sh), so their figures are not those of a machine running 40 suites.
enum LoadTests {}
