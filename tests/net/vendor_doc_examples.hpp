#pragma once
// The example bodies of the vendors' API pages, verbatim (copied by script from
// akool-talking-avatar.md and a2v-api.md; Akool's carry // comments, some of A2V's are not JSON).

namespace avpost::test::docs {

inline constexpr const char* kAkoolAvatarListResponse = R"DOC({
  "code": 1000,
  "msg": "ok",
  "data": [
    {
      "name": "Yasmin in White shirt",  // avatar name
      "avatar_id": "Yasmin_in_White_shirt_20231121",  //  parameter values required to create talkingavatar
      "url": "https://drz0f01yeq1cx.cloudfront.net/1700786304161-b574407f-f926-4b3e-bba7-dc77d1742e60-8169.png", // avatar url
      "gender": "female",   //  avatar gender
      "thumbnailUrl": "https://drz0f01yeq1cx.cloudfront.net/avatar/thumbnail/1700786304161-b574407f-f926-4b3e-bba7-dc77d1742e60-8169.png", //  avatar thumbnail
      "from": 2 //  parameter values required to create talkingavatar
    }
  ]
}
)DOC";

inline constexpr const char* kAkoolCreateRequest = R"DOC({
    "width": 3840,
    "height": 2160,
    "avatar_from": 3,
    "elements": [
        {
            "type": "image",
            "url": "https://drz0f01yeq1cx.cloudfront.net/1729480978805-talkingAvatarbg.png",
            "width": 780,
            "height": 438,
            "scale_x": 1,
            "scale_y": 1,
            "offset_x": 1920,
            "offset_y": 1080
        },
        {
            "type": "avatar",
            "url": "https://drz0f01yeq1cx.cloudfront.net/1735009621724-7ce105c6-ed9a-4d13-9061-7e3df59d9798-7953.mp4",
            "scale_x": 1,
            "scale_y": 1,
            "width": 1080,
            "height": 1080,
            "offset_x": 1920,
            "offset_y": 1080
        },
        {
            "type": "audio",
            "url": "https://drz0f01yeq1cx.cloudfront.net/1729666642023-bd6ad5f1-d558-40c7-b720-ad729688f814-6403.mp3",
            "input_text": "A military parade is a formation of military personnels whose movement is restricted by close-order manoeuvering known as drilling or marching. Large military parades are today held on major holidays and military events around the world.A military parade is a formation of military personnels whose movement is restricted by close-order manoeuvering known as drilling or marching. Large military parades are today held on major holidays and military events around the world.A military parade is a formation of military personnels whose movement is restricted by close-order manoeuvering known as drilling or marching. Large military parades are today held on major holidays and military events around the world.",
            "voice_id": "6889b628662160e2caad5dbc"
        }
    ],
    "webhookUrl": ""
}
)DOC";

inline constexpr const char* kAkoolCreateResponse = R"DOC({
    "code": 1000,
    "msg": "OK",
    "data": {
        "_id": "67491cdb4d9d1664a9782292",
        "uid": 100002,
        "video_id": "f1a489f4-0cca-4723-843b-e42003dc9f32",
        "task_id": "67491cdb1acd9d0ce2cc8998",
        "video_status": 1,
        "video": "",
        "create_time": 1732844763774
    }
}
)DOC";

inline constexpr const char* kAkoolVideoInfoResponse = R"DOC({
  "code": 1000,
  "msg": "OK",
  "data": {
    "_id": "64dd92c1f0b6684651e90e09",
    "create_time": 1692242625334, //  content creation time
    "uid": 378337,
    "video_id": "0acfed62e24f4cfd8801c9e846347b1d", // video id
    "deduction_duration": 10,  // credits consumed by the final result
    "video_status": 2, // current status of video： 【1：queueing（The requested operation is being processed），2：processing（The requested operation is being processing），3：completed（The request operation has been processed successfully），4：failed（The request operation processing failed, the reason for the failure can be viewed in the video translation details.）】
    "video": "" //  Generated video resource url
  }
}
)DOC";

inline constexpr const char* kAkoolAvatarDetailResponse = R"DOC({
  "code": 1000,
  "msg": "ok",
  "data": [
    {
      "_id": "66a1a02d591ad336275eda62",
        "uid": 100010,
        "type": 2,
        "from": 3,
        "status": 3,
        "name": "30870eb0",
        "url": "https://drz0f01yeq1cx.cloudfront.net/1721868487350-6b4cc614038643eb9f842f4ddc3d5d56.mp4"
    }
  ]
}
)DOC";

inline constexpr const char* kAkoolAvatarUploadResponse = R"DOC({
  "code": 1000,
  "msg": "ok",
  "data": [
    {
      "_id": "655ffeada6976ea317087193",
      "disabled": false,
      "uid": 1,
      "type": 1,
      "from": 2,
      "status": 1,
      "sort": 12,
      "create_time": 1700788730000,
      "name": "Yasmin in White shirt",
      "avatar_id": "Yasmin_in_White_shirt_20231121",
      "url": "https://drz0f01yeq1cx.cloudfront.net/1700786304161-b574407f-f926-4b3e-bba7-dc77d1742e60-8169.png",
      "modify_url": "https://drz0f01yeq1cx.cloudfront.net/1700786304161-b574407f-f926-4b3e-bba7-dc77d1742e60-8169.png",
      "gender": "female",
      "thumbnailUrl": "https://drz0f01yeq1cx.cloudfront.net/avatar/thumbnail/1700786304161-b574407f-f926-4b3e-bba7-dc77d1742e60-8169.png",
      "crop_arr": []
    }
  ]
}
)DOC";

inline constexpr const char* kA2vAvatarListResponse = R"DOC({
  "code": 0,
  "data": [
    {
      TODO: @aiden
    }
  ],
  "message": "success"
}
)DOC";

inline constexpr const char* kA2vPoseListResponse = R"DOC({
  "code": 0,
  "data": [
    {
      TODO: @aiden
    }
  ],
  "message": "success"
}
)DOC";

inline constexpr const char* kA2vGenerateRequest = R"DOC({
    "pose_id": "<<POSE_ID>>",
    "audio_url": "https://example.com/audio"
}
)DOC";

inline constexpr const char* kA2vGenerateResponse = R"DOC({
  "code": 0,
  "data": {
    "video_id": "<<VIDEO_ID>>"",
    "status": "pending"
  },
  "message": "success",
}
)DOC";

inline constexpr const char* kA2vVideoGetResponse = R"DOC({
    "code":0,
    "data":{
        "video_id":"<<VIDEO_ID>>",
        "status":"finished",
        "video_url":"<<VIDEO_DOWNLOAD_URL>>",
        "mask_video_url":"<<MASK_VIDEO_DOWNLOAD_URL>>"
    },
    "message":"success"
}

)DOC";

inline constexpr const char* kA2vVideoListResponse = R"DOC({
    "code":0,
    "data":[
        {
          "video_id":"<<VIDEO_ID>>",
          "status":"finished",
          "video_url":"<<VIDEO_DOWNLOAD_URL>>",
          "mask_video_url":"<<MASK_VIDEO_DOWNLOAD_URL>>"
        },
        ...,
        {
          "video_id":"<<VIDEO_ID>>",
          "status":"finished",
          "video_url":"<<VIDEO_DOWNLOAD_URL>>",
          "mask_video_url":"<<MASK_VIDEO_DOWNLOAD_URL>>"
        }
    ],
    "message":"success"
}

)DOC";

}  // namespace avpost::test::docs
