"""acme-tools: the package the GitLab recipe installs with poetry and publishes."""
