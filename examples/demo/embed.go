// Package demo embeds the demo mesh's product contracts and policies so the binary can start
// the demo without any file next to it. The files themselves are the documentation of what a
// domain registers.
package demo

import "embed"

// Files holds contracts/*.yaml and policies.yaml.
//
//go:embed contracts/*.yaml policies.yaml
var Files embed.FS
