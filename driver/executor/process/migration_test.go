package process

import (
	"context"
	"testing"

	"github.com/tvx-project/tvx/driver"
	"github.com/tvx-project/tvx/migration/migrationtest"
)

// A tipset vector whose tipsets cross six migrating upgrades of its own
// network's schedule (params.schedule on the wire) comes to the same
// post-state through the protocol as in process: the serving executor
// migrates where the in-process one does. The vector carries no
// postconditions, so both runs fail the same way and the roots compare.
func TestMigratingTipsetsThroughProtocol(t *testing.T) {
	ctx := context.Background()
	table := migrationtest.EarlyTable(t)
	v := migrationtest.TipsetVector(t)
	cl, err := NewClient(selfCommand(t, "serve"))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ours := driver.New(driver.WithProtocol(table)).Run(ctx, v, v.Pre.Variants[0])
	theirs := driver.New(driver.WithProtocol(table), driver.WithExecutor(cl)).Run(ctx, v, v.Pre.Variants[0])
	if ours.Status != driver.Fail || !ours.ActualRoot.Defined() || ours.ActualRoot != theirs.ActualRoot || ours.Status != theirs.Status {
		t.Fatalf("in process %s root %s (%s); protocol %s root %s (%s)", ours.Status, ours.ActualRoot, ours.Reason, theirs.Status, theirs.ActualRoot, theirs.Reason)
	}
}
