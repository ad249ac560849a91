// The one-node test cluster's sandbox ("pause") program: a static binary, packed into an image by
// scripts/lib/cluster.sh, so no image is ever pulled.
module reaper.dev/tools/pause

go 1.26.0
