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
pub mod config;
mod config_values;
pub mod cut_short;
pub mod drain;
pub mod duration;
pub mod exit_code;
pub mod health;
mod health_clients;
pub mod log;
mod memory;
pub mod netstat;
pub mod phpfpm;
pub mod prestop;
pub mod procfs;
pub mod program;
mod shutdown;
mod signals;
mod sock_diag;
mod stall;
mod startup;
pub mod supervisor;
pub mod target;
mod tcp_socket;
pub mod traffic_gaps;
mod warnings;
