# bash completion for podflow-capture.  podflow-capture has no command
# table to write it from (podflow-analyze's is written by `podflow-analyze
# completion bash`): tests/it/completion.sh checks that it offers exactly
# the options of `podflow-capture --help`.
_podflow_capture()
{
    local cur prev
    COMPREPLY=()
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD-1]}
    case $cur in
    --*=*) prev=${cur%%=*}; cur=${cur#*=} ;;
    esac
    case $prev in
    -w|-r|--inventory|--keep-policy-nets)
        compopt -o filenames 2>/dev/null
        COMPREPLY=($(compgen -f -- "$cur"))
        return ;;
    -i)
        # live links, and the globs people give most
        COMPREPLY=($(compgen -W "$(ls /sys/class/net 2>/dev/null) 'cali*' 'veth*'" -- "$cur"))
        return ;;
    -Z)
        COMPREPLY=($(compgen -u -- "$cur"))
        return ;;
    -f|-s|-B|-G|--idle-timeout|--active-timeout|--commit-interval|--max-flows|--node|--keep-net)
        return ;;
    esac
    COMPREPLY=($(compgen -W '-w -i -r -f -s -B -G -Z -q --idle-timeout --active-timeout
        --commit-interval --max-flows --node --inventory --redact-external --no-process
        --process --keep-policy-nets --keep-net --help --version' -- "$cur"))
}
complete -F _podflow_capture podflow-capture
