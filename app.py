"""`python app.py [options]`: launch the cnnattn web app (an alias of `cnnattn serve`)."""

from cnnattn.webapp import run_files

run_files.use_for_gradio()  # before gradio is imported: a run's files live in one folder, removed when it stops

from cnnattn.webapp.app import main  # noqa: E402

if __name__ == "__main__":
    main()
