#!/bin/sh
# completion.sh: the bash and zsh completion scripts.  podflow-analyze's
# are written from its command table (podflow-analyze completion SHELL):
# bash is driven here as it would be on a <TAB>, and each command's options
# are those its --help lists.  podflow-capture's are files
# (tools/completion/) that must offer exactly the options its --help lists.
. "$TOP/tests/it/pkg_lib.inc"
A=$bd/podflow-analyze C=$bd/podflow-capture
command -v bash > /dev/null || { echo "SKIP: bash is not installed"; exit 77; }
[ -x "$A" ] || { echo "FAIL: $A not built"; exit 1; }

"$A" completion bash > "$tmp/a.bash" || fail "completion bash"
"$A" completion zsh > "$tmp/_a" || fail "completion zsh"
"$A" completion fish > /dev/null 2>&1; expect "completion fish: exit" $? 2
bash -n "$tmp/a.bash" && ok "bash: syntax" || fail "bash: syntax"

# complete WORDS...: what <TAB> offers after WORDS (the last is the word
# being completed), one line, sorted.
complete() {
    bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _podflow_analyze
             printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' - "$tmp/a.bash" "$@" | sed 's/ $//'
}
expect "command" "$(complete podflow-analyze ch)" "check"
expect "commands r" "$(complete podflow-analyze re)" "redact report"
expect "option" "$(complete podflow-analyze check case.db --ex)" "--explain"
expect "-o values" "$(complete podflow-analyze check case.db -o '')" "csv dot json table wide"
expect "--output=VALUE" "$(complete podflow-analyze check case.db --output=j)" "json"
expect "--group values" "$(complete podflow-analyze diff case.db -g w)" "workload"
expect "help COMMAND" "$(complete podflow-analyze help i)" "inventory"
expect "completion SHELL" "$(complete podflow-analyze completion '')" "bash zsh"
mkdir -p "$tmp/pols" && : > "$tmp/pols/a.yaml"
expect "-p PATH: files" "$(complete podflow-analyze check case.db -p "$tmp/pols/a")" "$tmp/pols/a.yaml"
expect "--namespace: nothing to offer" "$(complete podflow-analyze check case.db -n '')" ""
# Every command offers exactly the options its --help lists.
for c in $("$A" --help | sed -n 's/^  \([a-z][a-z]*\) .*/\1/p' | grep -v '^podflow'); do
    want=$("$A" "$c" --help | grep -E '^  +-' | grep -oE '(^|[ ,])--?[a-zA-Z][a-z-]*' |
           tr -d ' ,' | sort -u | tr '\n' ' ' | sed 's/ $//')
    got=$(complete podflow-analyze "$c" x.db -)
    expect "$c: options offered = --help" "$(echo "$got" | tr ' ' '\n' | sort -u | tr '\n' ' ')" \
        "$(echo "$want" | tr ' ' '\n' | sort -u | tr '\n' ' ')"
    grep -q "^    $c)" "$tmp/_a" && ok "zsh: $c" || fail "zsh: no $c"
done

# podflow-capture: the files offer exactly --help's options.
if [ -x "$C" ]; then
    cb=$TOP/tools/completion/podflow-capture.bash cz=$TOP/tools/completion/_podflow-capture
    bash -n "$cb" && ok "capture bash: syntax" || fail "capture bash: syntax"
    # the option lines of --help: "  -w CASE.db ...", "  --help, --version"
    want=$("$C" --help | grep -E '^  -' | awk '{ print $1, $2 }' | grep -oE -- '--?[a-zA-Z][a-z-]*' |
           sort -u | tr '\n' ' ')
    got=$(bash -c '. "$1"; COMP_WORDS=(podflow-capture -); COMP_CWORD=1; _podflow_capture
                   printf "%s\n" "${COMPREPLY[@]}"' - "$cb" | sort -u | tr '\n' ' ')
    expect "capture bash: options = --help" "$got" "$want"
    gotz=$(grep -oE "^ +'(\([^)]*\))?\*?--?[a-zA-Z][a-z-]*" "$cz" | sed -E "s/^ +'(\([^)]*\))?\*?//" |
           sort -u | tr '\n' ' ')
    expect "capture zsh: options = --help" "$gotz" "$want"
else
    echo "note: podflow-capture not built: its completion not checked"
fi

if command -v zsh > /dev/null; then
    zsh -n "$tmp/_a" && ok "zsh: syntax" || fail "zsh: syntax"
    zsh -n "$TOP/tools/completion/_podflow-capture" && ok "capture zsh: syntax" || fail "capture zsh: syntax"
    # Loaded as compinit loads it (autoload +X parses the file now).
    zsh -fc "fpath=($tmp \$fpath); autoload -Uz +X _a" > "$tmp/z.out" 2>&1 &&
        ok "zsh: loads" || fail "zsh: does not load: $(cat "$tmp/z.out")"
    grep -c "_arguments -s -S" "$tmp/_a" | grep -qx "$("$A" --help | sed -n 's/^  \([a-z][a-z]*\) .*/\1/p' | grep -vc '^podflow')" &&
        ok "zsh: one _arguments per command" || fail "zsh: _arguments per command"
else
    echo "note: zsh is not installed: zsh scripts not parsed"
fi
finish
