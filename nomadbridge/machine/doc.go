// Package machine is the provider-neutral core of the nomadbridge's machine provisioner: it runs CircleCI
// `machine:` jobs on fresh cloud VMs, one VM per task.
//
// A provider adapter (ec2machine, gcemachine) implements the small Cloud port: create an instance (idempotent by
// Spec.Token), list instances by label, give a stopped warm instance a boot script and start it, delete
// instances. The Provisioner holds the policy on top of it:
//
//   - Run maps the config's machine image and resource class to a cloud image and instance type through
//     Options.Images and Options.Classes (an unknown image or class is an error the caller turns into a task
//     failure). It first looks for an instance already labelled with the task and attempt (a redelivered run
//     message never launches a second VM), then takes a stopped warm instance of the same pool
//     (image + "/" + class) if there is one, and otherwise creates an instance whose token derives from the task
//     id and attempt, so a retried Create returns the same VM.
//   - BootScript is the bash script the VM runs at boot (cloud-init user data, GCE startup-script): it downloads
//     the runner from Launch.RunnerURL, runs `caravan runner` with the task token only in CARAVAN_TASK_TOKEN,
//     then powers the VM off whatever happened. Every value is single-quoted, so hostile values stay literal.
//   - Stop deletes a task's instances (cancel). Fill tops up the warm pools (Options.Warm) with stopped
//     instances. Collect deletes instances past their caravan-expires label, instances whose task is no longer
//     active (orphans of a crash) and warm instances older than WarmTTL; it never touches an instance without
//     caravan-managed=true, and skips terminated leftovers a cloud still lists.
//
// Every instance carries the labels caravan-managed=true, caravan-pool, caravan-expires (unix seconds) and
// either caravan-task and caravan-attempt (a task's VM) or caravan-warm=true (a warm one), plus Options.Labels.
// Label values are passed as they are; an adapter whose cloud restricts label values (GCE) sanitises them and
// must still match and return the original values.
//
// The task token is visible to whatever can read the VM's user data or metadata (the job itself, on a machine
// executor); it authorises only that task, for the task's lifetime, as with CircleCI's own machine runners.
package machine
