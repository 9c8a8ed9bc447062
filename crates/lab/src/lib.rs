//! Reproduces Kubernetes pod termination with real nginx and php-fpm in Linux namespaces.
//!
//! `lameduck lab FILE.yaml…` or `lameduck lab seeds`: pods (a network namespace each, a PID +
//! mount namespace per container), a kubelet that terminates them as Kubernetes does, an
//! ingress (the `alb` or `nginx-model` model, the real nginx or HAProxy, or a ClusterIP Service
//! programmed with kube-proxy's nftables rules) in front, and the `lameduck-load` engine driving
//! traffic through it. See docs/lab.md.
mod capacity;
pub mod cli;
mod color;
pub mod events;
mod http;
pub mod ingress;
mod kubelet;
mod matrix;
mod panics;
mod pod;
mod probe;
mod procwatch;
mod result;
mod rng;
mod runner;
mod sandbox;
pub mod scenario;
mod seeds;
mod signals;
mod suggest;
pub mod sys;
pub mod table;
mod traffic;
