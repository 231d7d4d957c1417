package controllers_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tenancy-dev/access-controller/internal/fixture"
)

// TestScale is the `make bench` scale run (set ACCESS_CONTROLLER_SCALE=1):
// a cold converge of 1k and 5k members in tenants of 500, timed against
// creating as many ConfigMaps on the same API server in the same run, with
// the controller's writes counted and the process's memory at the end.
// It reports numbers (docs/performance.md); it asserts correctness only.
func TestScale(t *testing.T) {
	if os.Getenv("ACCESS_CONTROLLER_SCALE") == "" {
		t.Skip("set ACCESS_CONTROLLER_SCALE=1 (make bench) to run the scale run")
	}
	for _, members := range []int{1000, 5000} {
		t.Run(fmt.Sprintf("members=%d", members), func(t *testing.T) {
			tenants := members / 500
			baseline := createConfigMaps(t, fmt.Sprintf("baseline-%d", members), members)

			var all []fixture.Objects
			for i := range tenants {
				o := fixture.Tenant(fmt.Sprintf("scale-%d-%d", members, i), 500, 50, int64(i+1))
				createNamespace(t, o.Tenants[0].Name)
				all = append(all, o)
			}
			createParallel(t, all)

			start := time.Now()
			m := startManager(t, time.Now)
			eventually(t, 10*time.Minute, "cold converge", func() (bool, string) {
				n := 0
				for _, o := range all {
					n += countEPs(t, o.Tenants[0].Name)
				}
				return n == members, fmt.Sprintf("%d of %d EffectivePermissions", n, members)
			})
			allEPs := time.Since(start)
			writes := settle(m, time.Second)
			settled := time.Since(start) - time.Second
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			t.Logf("SCALE members=%d tenants=%d: ConfigMaps baseline %.2fs (%.0f/s); all EPs written %.2fs (%.2fx baseline); settled (EPs + statuses) %.2fs (%.2fx); writes: EPs %d, EP statuses %d, other statuses %d, events %d; heap in use %d MiB, sys %d MiB",
				members, tenants, baseline.Seconds(), float64(members)/baseline.Seconds(), allEPs.Seconds(), allEPs.Seconds()/baseline.Seconds(),
				settled.Seconds(), settled.Seconds()/baseline.Seconds(),
				total(writes, " effectivepermissions")-total(writes, "effectivepermissions/status"), total(writes, "effectivepermissions/status"),
				total(writes, "/status")-total(writes, "effectivepermissions/status"), total(writes, " events"),
				ms.HeapInuse>>20, ms.Sys>>20)
			m.stop()
		})
	}
}

// createConfigMaps creates n ConfigMaps with 8 workers, as the controller
// writes with 8, and returns how long it took.
func createConfigMaps(t *testing.T, ns string, n int) time.Duration {
	createNamespace(t, ns)
	start := time.Now()
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for i := range jobs {
				cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("cm-%d", i)},
					Data: map[string]string{"a": "1", "b": "2"}}
				if err := k8s.Create(context.Background(), cm); err != nil {
					t.Error(err)
				}
			}
		})
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return time.Since(start)
}

func createParallel(t *testing.T, all []fixture.Objects) {
	var wg sync.WaitGroup
	for _, o := range all {
		wg.Go(func() { createAll(t, o) })
	}
	wg.Wait()
	_ = client.Object(nil)
}
