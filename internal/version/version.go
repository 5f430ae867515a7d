// Package version holds the build version, set by the linker (-X) in release builds.
package version

// Version is overridden at link time: -ldflags "-X github.com/meshgate/meshgate/internal/version.Version=v1.2.3".
var Version = "dev"
