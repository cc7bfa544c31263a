//! `teleconsultctl`: the admin CLI of a teleconsult site. See `teleconsultctl --help` and
//! `teleconsultd::ctl`.

fn main() -> std::process::ExitCode {
    teleconsultd::ctl::main()
}
