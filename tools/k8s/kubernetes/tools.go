//go:build tools

// The commands dev/k8s-tools builds, imported here only so that `go mod tidy` keeps every
// module they need in go.mod and go.sum. The build tag keeps this file out of every build.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
