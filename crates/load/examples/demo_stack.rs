//! Starts a throwaway nginx + php-fpm (from lameduck-testkit) on a free loopback port for the
//! load benchmark (scripts/bench-load) and manual trials, prints its base URL and nginx's pid
//! on stdout, and keeps it running until SIGINT or SIGTERM; then stops both and removes the
//! temp dir.
//!
//! `--workers N` sets nginx's worker_processes (default 1); `--php-children N` php-fpm's.
use std::io::Write;

use lameduck_testkit::{Stack, StackOptions};
use signal_hook::consts::{SIGINT, SIGTERM};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut options = StackOptions::default();
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        match pair {
            [flag, value] if flag == "--workers" => options.nginx_workers = value.parse()?,
            [flag, value] if flag == "--php-children" => options.php_children = value.parse()?,
            _ => return Err("usage: demo-stack [--workers N] [--php-children N]".into()),
        }
    }
    // Register before starting so a signal arriving during start-up is not lost.
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])?;
    let stack = Stack::start(options)?;
    println!("{}", stack.url(""));
    println!("nginx_pid={}", stack_pid(&stack));
    std::io::stdout().flush()?;
    signals.forever().next();
    drop(stack);
    Ok(())
}

fn stack_pid(stack: &Stack) -> u32 {
    std::fs::read_to_string(stack.dir().join("nginx.pid"))
        .ok()
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or(0)
}
