//! Reproduces Kubernetes pod termination with real nginx and php-fpm in Linux namespaces.
//!
//! `lameduck lab FILE.yaml…` or `lameduck lab seeds`: pods (a network namespace each, a PID +
//! mount namespace per container), a kubelet that terminates them as Kubernetes does, an
//! ingress (`alb` or `nginx` model) in front, and the `lameduck-load` engine driving traffic
//! through it. See docs/lab.md.
pub mod capacity;
pub mod cli;
pub mod color;
pub mod events;
pub mod http;
pub mod ingress;
pub mod kubelet;
pub mod panics;
pub mod pod;
pub mod probe;
pub mod procwatch;
pub mod result;
pub mod rng;
pub mod runner;
pub mod sandbox;
pub mod scenario;
pub mod seeds;
pub mod signals;
pub mod suggest;
pub mod sys;
pub mod table;
