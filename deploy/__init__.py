"""What runs jinqiu: the local runner without Docker, compose and Kubernetes manifests."""
