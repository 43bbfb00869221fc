"""Body of POST /session: the dashboard's sign-in with an application password."""
from .fields import BodyArgs, text_field


class SignInArgs(BodyArgs):
    username = text_field('username', 100, required=True, metadata={
        'description': 'A username or email address.'})
    password = text_field('password', 100, required=True, metadata={
        'description': 'One of the user\'s application passwords (spaces allowed).'})
