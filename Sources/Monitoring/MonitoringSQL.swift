import Postgres

/// The statements behind the gauges read at scrape time. Each reads only small partial
/// indexes or small tables, however many finished jobs `berth.jobs` holds.
enum MonitoringSQL {
    /// Queued and running jobs (the queue's partial indexes), failed and cancelled ones (the
    /// partial index of migration 0006). Succeeded jobs are the bulk of the table and are not
    /// counted here: `berth_job_attempts_total{outcome="succeeded"}` gives their rate.
    static let jobs = SQL("monitoring_jobs", """
        select 'queued' as state, kind, count(*) as n from berth.jobs where state = 'queued' group by kind
        union all
        select 'running', kind, count(*) from berth.jobs where state = 'running' group by kind
        union all
        select state, kind, count(*) from berth.jobs where state in ('failed', 'cancelled') group by state, kind
        """)

    static let oldestReady = SQL("monitoring_oldest_ready", """
        select coalesce(extract(epoch from now() - min(run_at)), 0)::float8 as age
          from berth.jobs where state = 'queued' and run_at <= now()
        """)

    static let clusters = SQL("monitoring_clusters", """
        select state, backend, count(*) as n from berth.clusters group by state, backend
        """)

    static let ping = SQL("monitoring_ping", "select 1 as one")
}
