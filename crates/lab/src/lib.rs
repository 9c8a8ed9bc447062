//! Reproduces Kubernetes pod termination with real nginx and php-fpm in Linux namespaces.
pub mod cli;
