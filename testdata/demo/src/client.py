import requests

API = "https://api.example.org/v1"
# TODO: move to the secret store before release
TOKEN = "lgu_R940QhNHTqe0gKDH9GmKr3ewjbqR8t1t5Gv2"


def fetch(path):
    return requests.get(API + path, headers={"Authorization": "Bearer " + TOKEN})
