# bash completion for leakscope(1)
_leakscope()
{
	local cur prev cmd
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}
	if [ "$COMP_CWORD" -eq 1 ]; then
		COMPREPLY=($(compgen -W "analyze events suggest-tunnel check-rules merge --help --version" -- "$cur"))
		return
	fi
	cmd=${COMP_WORDS[1]}
	case $prev in
	-t|--tunnel)
		COMPREPLY=($(compgen -f -X '!*.@(xml|conf|ovpn)' -- "$cur") $(compgen -d -- "$cur"))
		return ;;
	-o|--output|--partial)
		COMPREPLY=($(compgen -f -- "$cur"))
		return ;;
	--format)
		COMPREPLY=($(compgen -W "tsv json" -- "$cur"))
		return ;;
	-f|--filter|-j|--jobs|--gap|--parallel-window|--max-events)
		return ;;
	esac
	if [[ $cur == -* ]]; then
		local opts="--tunnel --output --filter --jobs --gap --parallel-window --max-events --quiet --help"
		case $cmd in
		analyze) opts="$opts --partial" ;;
		events) opts="$opts --format" ;;
		check-rules) opts="--help" ;;
		esac
		COMPREPLY=($(compgen -W "$opts" -- "$cur"))
		return
	fi
	case $cmd in
	check-rules)
		COMPREPLY=($(compgen -f -X '!*.@(xml|conf|ovpn)' -- "$cur") $(compgen -d -- "$cur")) ;;
	*)
		COMPREPLY=($(compgen -f -X '!*.@(pcap|pcapng|cap|gz|zst|lz4|lsp)' -- "$cur") $(compgen -d -- "$cur")) ;;
	esac
}
complete -o filenames -F _leakscope leakscope
