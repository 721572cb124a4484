from codesynth.cli import main

main()
