"""Who is in the WeChat sample: the owner, friends, groups, an official account, strangers."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

OWNER = "wxid_4kq8alexchen21"
OWNER_ALIAS = "alexchen_88"
OWNER_NAME = "Alex Chen"
FAMILY_GROUP = "20399847110@chatroom"
FAMILY_NAME = "家人群"
HIKING_GROUP = "18844570032@chatroom"
HIKING_NAME = "Hiking Club 🥾"
OFFICIAL = "gh_5d3a8e9b1c2f"
OFFICIAL_NAME = "Daily Tech News"
STRANGER = "wxid_promo88hb"


def md5(text: str) -> str:
    """WeChat's name hash: lowercase hex MD5 of the UTF-8 username."""
    return hashlib.md5(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Person:
    username: str
    nickname: str
    remark: str = ""
    alias: str = ""
    province: str = ""
    city: str = ""
    sex: int = 0
    friend: bool = True
    signature: str = ""

    @property
    def display(self) -> str:
        return self.remark or self.nickname or self.username


MUM = Person("wxid_mum7h2k9", "妈妈", "Mum", "chen_mama", "Zhejiang", "Hangzhou", 2, signature="家和万事兴")
DAD = Person("wxid_dad3p8x1", "老陈", "Dad", "chen_laoba", "Zhejiang", "Hangzhou", 1)
GRANDMA = Person("wxid_nai9q4w2", "奶奶", "", "", "Zhejiang", "Shaoxing", 2)
LILY = Person("wxid_lily5r7t0", "Lily Wang", "", "lilyw_sh", "Shanghai", "", 2, signature="coffee first ☕")
ZHANG = Person("wxid_zw2b6n4m", "张伟", "Zhang Wei (work)", "zhangwei_pm", "Beijing", "Chaoyang", 1)
SAM = Person("wxid_sam1v9c3", "Sam Taylor", "", "samtaylor", "London", "", 1)
TOM = Person("wxid_tom8d2f6", "Tom Becker", "", "tombecker", "Berlin", "", 1)
JUN = Person("wxid_jun4g7h1", "Jun Li", "", "junli_sz", "Guangdong", "Shenzhen", 1)
MEI = Person("wxid_mei6k3l8", "小美", "Mei", "xiaomei520", "Sichuan", "Chengdu", 2)
PRIYA = Person("wxid_pri2z5x9", "Priya Nair", "", "priya_n", "", "", 2)
LANDLORD = Person("wxid_liu7c1v5", "刘先生", "Landlord Mr. Liu", "liu_fangdong", "Shanghai", "Jing'an", 1)
FILEHELPER = Person("filehelper", "文件传输助手", "", "")
UNCLE = Person("wxid_uncle3m0n", "陈建国", "", "", "Zhejiang", "", 1, friend=False)
KAI = Person("wxid_kai9b8v7c", "Kai", "", "", "", "", 1, friend=False)
MARTA = Person("wxid_mar4x3z2y", "Marta G.", "", "", "", "", 2, friend=False)
PROMO = Person(STRANGER, "微信红包助手", "", "", "", "", 0, friend=False)

FRIENDS = (MUM, DAD, GRANDMA, LILY, ZHANG, SAM, TOM, JUN, MEI, PRIYA, LANDLORD, FILEHELPER)
STRANGERS = (UNCLE, KAI, MARTA)

#: (username, display name inside the group) — "" means no group nickname set.
FAMILY_MEMBERS = ((OWNER, ""), (MUM.username, "妈妈"), (DAD.username, "爸爸"), (GRANDMA.username, ""),
                  (UNCLE.username, "二叔"))
HIKING_MEMBERS = ((OWNER, "Alex"), (LILY.username, ""), (SAM.username, "Sam T"), (TOM.username, ""),
                  (JUN.username, ""), (KAI.username, "Kai 🏔"), (MARTA.username, ""))
