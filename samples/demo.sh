#!/bin/sh
# demo.sh: the README's first command (make demo) on the bundled FME case.
B=${B:-build}
if [ ! -f samples/fme/capture.pcap ]; then
    echo "make demo: the sample case (samples/fme/) has not landed yet:" >&2
    echo "  it arrives with the sample-case issue; until then there is nothing to demo" >&2
    exit 1
fi
