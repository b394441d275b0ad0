from listener.cli.main import main

main()
