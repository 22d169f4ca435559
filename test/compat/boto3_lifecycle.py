"""Drives the gateway's Lookout for Vision endpoint through boto3, as an existing script would.

Usage: boto3_lifecycle.py ENDPOINT ACCESS_KEY_ID SECRET BUCKET MANIFEST_KEY IMAGE_PATH
Prints one JSON object with what each step returned or raised; the Jest test asserts on it.
"""
import json
import sys
import time

import boto3
import botocore.exceptions

endpoint, key_id, secret, bucket, manifest_key, image_path = sys.argv[1:7]
session = boto3.session.Session(aws_access_key_id=key_id, aws_secret_access_key=secret, region_name="us-east-1")
lfv = session.client("lookoutvision", endpoint_url=endpoint, config=botocore.config.Config(retries={"max_attempts": 1}))
out = {"botocore": botocore.__version__}


def error_of(call):
    try:
        call()
    except lfv.exceptions.ResourceNotFoundException as e:
        return {"class": "ResourceNotFoundException", "code": e.response["Error"]["Code"], "resourceType": e.response.get("ResourceType"), "status": e.response["ResponseMetadata"]["HTTPStatusCode"]}
    except lfv.exceptions.ConflictException as e:
        return {"class": "ConflictException", "code": e.response["Error"]["Code"], "resourceType": e.response.get("ResourceType"), "status": e.response["ResponseMetadata"]["HTTPStatusCode"]}
    except lfv.exceptions.ValidationException as e:
        return {"class": "ValidationException", "code": e.response["Error"]["Code"], "message": e.response["Error"]["Message"], "status": e.response["ResponseMetadata"]["HTTPStatusCode"]}
    except botocore.exceptions.ClientError as e:
        return {"class": "ClientError", "code": e.response["Error"]["Code"], "status": e.response["ResponseMetadata"]["HTTPStatusCode"]}
    return None


def wait(project, version, wanted):
    deadline = time.time() + 120
    while True:
        d = lfv.describe_model(ProjectName=project, ModelVersion=version)["ModelDescription"]
        if d["Status"] in wanted or time.time() > deadline:
            return d
        time.sleep(0.1)


project = lfv.create_project(ProjectName="boto")["ProjectMetadata"]
out["project"] = {"name": project["ProjectName"], "arn": project["ProjectArn"], "createdIsDatetime": hasattr(project["CreationTimestamp"], "year")}
lfv.create_dataset(ProjectName="boto", DatasetType="train", DatasetSource={"GroundTruthManifest": {"S3Object": {"Bucket": bucket, "Key": manifest_key}}})
out["imageStats"] = lfv.describe_dataset(ProjectName="boto", DatasetType="train")["DatasetDescription"]["ImageStats"]
entries = []
for page in lfv.get_paginator("list_dataset_entries").paginate(ProjectName="boto", DatasetType="train", PaginationConfig={"PageSize": 4}):
    entries.extend(page["DatasetEntries"])
out["entries"] = len(entries)

created = lfv.create_model(ProjectName="boto", OutputConfig={"S3Location": {"Bucket": "boto-output", "Prefix": "runs/"}})
out["createModel"] = {"status": created["ModelMetadata"]["Status"], "version": created["ModelMetadata"]["ModelVersion"], "http": created["ResponseMetadata"]["HTTPStatusCode"]}
trained = wait("boto", "1", ["TRAINED", "TRAINING_FAILED"])
out["trained"] = {"status": trained["Status"], "f1": trained["Performance"].get("F1Score"), "evaluation": trained["EvaluationResult"]["Bucket"]}

image = open(image_path, "rb").read()
out["detectBeforeStart"] = error_of(lambda: lfv.detect_anomalies(ProjectName="boto", ModelVersion="1", Body=image, ContentType="image/png"))
started = lfv.start_model(ProjectName="boto", ModelVersion="1", MinInferenceUnits=1)
out["start"] = {"status": started["Status"], "http": started["ResponseMetadata"]["HTTPStatusCode"]}
out["hosted"] = wait("boto", "1", ["HOSTED", "HOSTING_FAILED"])["Status"]
r = lfv.detect_anomalies(ProjectName="boto", ModelVersion="1", Body=image, ContentType="image/png")["DetectAnomalyResult"]
out["detect"] = {
    "isAnomalous": r["IsAnomalous"],
    "confidence": r["Confidence"],
    "anomalies": [a["Name"] for a in r.get("Anomalies", [])],
    "maskIsPng": r["AnomalyMask"][:8] == b"\x89PNG\r\n\x1a\n",
}
out["badContentType"] = error_of(lambda: lfv.detect_anomalies(ProjectName="boto", ModelVersion="1", Body=image, ContentType="image/gif"))
out["deleteHosted"] = error_of(lambda: lfv.delete_model(ProjectName="boto", ModelVersion="1"))
out["stop"] = lfv.stop_model(ProjectName="boto", ModelVersion="1")["Status"]
out["stopped"] = wait("boto", "1", ["TRAINED"])["Status"]
out["deleteModel"] = lfv.delete_model(ProjectName="boto", ModelVersion="1")["ResponseMetadata"]["HTTPStatusCode"]
out["describeDeleted"] = error_of(lambda: lfv.describe_model(ProjectName="boto", ModelVersion="1"))
out["unknownProject"] = error_of(lambda: lfv.list_models(ProjectName="nowhere"))
out["badName"] = error_of(lambda: lfv.create_project(ProjectName="has space"))
forged = boto3.session.Session(aws_access_key_id=key_id, aws_secret_access_key="wrong-secret-0123456789", region_name="us-east-1").client("lookoutvision", endpoint_url=endpoint, config=botocore.config.Config(retries={"max_attempts": 1}))
out["forged"] = error_of(lambda: forged.list_projects())
lfv.delete_dataset(ProjectName="boto", DatasetType="train")
out["deleteProject"] = lfv.delete_project(ProjectName="boto")["ProjectArn"]
print(json.dumps(out))
