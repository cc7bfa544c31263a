fn main() {
    eprintln!("teleconsultctl: not available yet");
    std::process::exit(1);
}
