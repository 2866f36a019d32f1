// Package deploy holds tests over the deployment files at the root of the
// repository: Dockerfile, docker-compose.yml, .env.example and the GitHub
// workflows (checked with actionlint). It has no code of its own.
package deploy
