"""`python app.py [options]`: launch the cnnattn web app (an alias of `cnnattn serve`)."""

from cnnattn.webapp.app import main

if __name__ == "__main__":
    main()
