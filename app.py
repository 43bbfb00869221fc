"""Development entry point: `python app.py` (or `flask --app app run`) serves on 127.0.0.1:5000."""
from datamachine_jobs import create_app

app = create_app()

if __name__ == '__main__':
    app.run(host='127.0.0.1', port=5000)
