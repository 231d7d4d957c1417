package engine

import (
	"k8s.io/apimachinery/pkg/api/equality"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
)

func equalEntry(a, b accessv1.ObjectPermission) bool {
	return equality.Semantic.DeepEqual(a, b)
}
