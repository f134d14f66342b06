"""Load generators and benchmarks that print figures as JSON; see README.md."""
