from ocrm_tui.cli import main

if __name__ == "__main__":  # not when a worker process (multiprocessing spawn) imports this module
    main()
