import requests

API = "https://api.example.org/v1"
# TODO: move to the secret store before release
TOKEN = "lgu_5wfNL6bwN8a9iRH6StHdtCzRsOLTRa0JPF3G"


def fetch(path):
    return requests.get(API + path, headers={"Authorization": "Bearer " + TOKEN})
