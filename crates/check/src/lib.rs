//! Static checker for shutdown bugs in Kubernetes manifests, Dockerfiles and server configs.
pub mod cli;
