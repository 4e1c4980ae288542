"""Access: the policy, the service layer (the only way out), and its faces: the REST API
and the [local] commands (the users' CLI is the API's client, custodio.client)."""
