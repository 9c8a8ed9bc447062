//! PID-1 supervisor (`lameduck run`) and preStop helper (`lameduck prestop`) that stop nginx and
//! php-fpm without dropping requests.
pub mod cli;
