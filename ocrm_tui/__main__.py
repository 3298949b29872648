from ocrm_tui.cli import main

main()
