//! PID-1 supervisor (`lameduck run`) and preStop helper (`lameduck prestop`) that stop nginx and
//! php-fpm without dropping requests.
//!
//! `run` turns the container runtime's SIGTERM into: lame duck (`/readyz` 503) → drain (watch the
//! kernel's socket table until the load balancer has stopped sending) → graceful stop of each
//! process in order, php-fpm only once its FastCGI connections are done → SIGKILL of whatever is
//! left before the grace period ends. `prestop` does the same from a preStop hook for pods that
//! keep nginx and php-fpm in separate containers.
mod child;
pub mod cli;
mod command_words;
mod config;
mod config_values;
mod cut_short;
mod drain;
mod duration;
mod exit_code;
mod health;
mod health_clients;
mod log;
mod memory;
pub mod netstat;
mod phpfpm;
mod prestop;
mod procfs;
mod program;
mod shutdown;
mod signals;
mod sock_diag;
mod stall;
mod startup;
mod supervisor;
mod target;
mod tcp_socket;
mod traffic_gaps;
mod warnings;
