package webtest

import "os/exec"

var lookPath = exec.LookPath
