#!/bin/sh
# embed.sh NAME < FILE > FILE.c: turn a file into a NUL-terminated C array,
# so that schema.sql stays the only source of the schema.  Uses od(1) only:
# xxd is not on every machine.
name=$1
echo "/* Generated from schema.sql by tools/embed.sh: do not edit. */"
echo "extern const char ${name}[];"
echo "const char ${name}[] = {"
od -An -v -tx1 | sed -e 's/ *$//' -e 's/ \([0-9a-f][0-9a-f]\)/0x\1,/g' -e '/^$/d'
echo "0x00 };"
