"""Access: the policy, the service layer (the only way out), the CLI and `custodio serve`."""
