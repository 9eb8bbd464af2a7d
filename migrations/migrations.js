import journal from './meta/_journal.json';
import m0000 from './0000_initial.sql';
import m0001 from './0001_run_index_paths.sql';
import m0002 from './0002_quiet_happy_path.sql';
import m0003 from './0003_attempt_on_run.sql';
import m0004 from './0004_rare_job_status_index.sql';
import m0005 from './0005_pending_off_status_index.sql';
import m0006 from './0006_occurrence_run_ids.sql';
import m0007 from './0007_leases_in_memory.sql';
import m0008 from './0008_pull_workers.sql';
import m0009 from './0009_task_graphs.sql';
import m0010 from './0010_active_runs_in_memory.sql';
import m0011 from './0011_runs_without_rowid.sql';
import m0012 from './0012_run_named_by_job.sql';
import m0013 from './0013_worker_lease_length.sql';
import m0014 from './0014_flow_control.sql';
import m0015 from './0015_worker_token_pools.sql';

  export default {
    journal,
    migrations: {
      m0000,
m0001,
m0002,
m0003,
m0004,
m0005,
m0006,
m0007,
m0008,
m0009,
m0010,
m0011,
m0012,
m0013,
m0014,
m0015
    }
  }
  