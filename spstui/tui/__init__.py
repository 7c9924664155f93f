"""The Textual app: presentation only. It reaches the appliance through
spstui.backend (one client, one cache) in workers, and never builds URLs."""
