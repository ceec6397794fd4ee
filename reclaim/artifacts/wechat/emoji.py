"""WeChat's built-in emoji codes (``[微笑]``, ``[Smile]``, ``/::)``) as Unicode emoji.

WeChat stores its own smileys as short codes inside the text; shown raw they look
like noise to a reader, so transcripts replace them with the nearest Unicode
emoji. Codes come in the Chinese (simplified and traditional) and English names
the app uses in brackets, and the older ``/:`` shorthand of early versions. A
code without a close Unicode match keeps its bracketed name (never lost).
"""

from __future__ import annotations

import re

#: WeChat smiley (by its English name) -> Unicode emoji.
EMOJI: dict[str, str] = {
    "Smile": "🙂", "Grimace": "😖", "Drool": "😍", "Scowl": "😳", "CoolGuy": "😎", "Sob": "😭",
    "Shy": "☺️", "Silent": "🤐", "Sleep": "😴", "Cry": "😢", "Awkward": "😅", "Angry": "😡",
    "Tongue": "😜", "Grin": "😁", "Surprise": "😲", "Frown": "🙁", "Ruthless": "😈", "Blush": "😰",
    "Scream": "😫", "Puke": "🤮", "Chuckle": "🤭", "Joyful": "😊", "Slight": "🙄", "Smug": "😤",
    "Hungry": "🤤", "Drowsy": "😪", "Panic": "😱", "Sweat": "😓", "Laugh": "😄", "Commando": "🪖",
    "Determined": "💪", "Scold": "🤬", "Shocked": "😵‍💫", "Shhh": "🤫", "Dizzy": "😵", "Tormented": "😣",
    "Toasted": "💀", "Skull": "☠️", "Hammer": "🔨", "Bye": "👋", "Speechless": "😥", "NosePick": "🤏",
    "Clap": "👏", "Shame": "😳", "Trick": "😏", "Bah！L": "😤", "Bah！R": "😤", "Yawn": "🥱",
    "Pooh-pooh": "😒", "Shrunken": "🥺", "TearingUp": "🥹", "Sly": "😼", "Kiss": "😘", "Wrath": "😨",
    "Whimper": "🥺", "Cleaver": "🔪", "Watermelon": "🍉", "Beer": "🍺", "Basketball": "🏀",
    "PingPong": "🏓", "Coffee": "☕", "Rice": "🍚", "Pig": "🐷", "Rose": "🌹", "Wilt": "🥀",
    "Lips": "💋", "Heart": "❤️", "BrokenHeart": "💔", "Cake": "🎂", "Lightning": "⚡", "Bomb": "💣",
    "Dagger": "🗡️", "Soccer": "⚽", "Ladybug": "🐞", "Poop": "💩", "Moon": "🌙", "Sun": "☀️",
    "Gift": "🎁", "Hug": "🤗", "ThumbsUp": "👍", "ThumbsDown": "👎", "Shake": "🤝", "Peace": "✌️",
    "Fight": "🙏", "Beckon": "🫴", "Fist": "✊", "Pinky": "🤙", "RockOn": "🤟", "Nuh-uh": "🙅",
    "OK": "👌", "InLove": "🥰", "Blowkiss": "😚", "Waddle": "🕺", "Tremble": "😨", "Aaagh!": "😤",
    "Twirl": "💃", "Kotow": "🙇", "Dramatic": "🫣", "JumpRope": "🪢", "Surrender": "🏳️",
    "Hooray": "🙌", "Meditate": "🧘", "Smooch": "😗", "TaiChi L": "☯️", "TaiChi R": "☯️",
    "Hey": "😎", "Facepalm": "🤦", "Smirk": "😏", "Smart": "🤓", "Concerned": "😟", "Yeah!": "🤘",
    "Packet": "🧧", "Chick": "🐥", "Candle": "🕯️", "Onlooker": "🍉", "GoForIt": "💪",
    "Sweats": "😓", "OMG": "😱", "Emm": "🤔", "Respect": "🙏", "Doge": "🐶", "NoProb": "👌",
    "MyBad": "🤕", "KeepFighting": "💪", "Wow": "😮", "Boring": "🙄", "Broken": "🫠", "Hurt": "😖",
    "Sigh": "😮‍💨", "Let Down": "😞", "Awesome": "🤩", "Happy": "😃", "Lol": "😂", "Flushed": "😳",
    "Party": "🎉", "Firecracker": "🧨", "Fireworks": "🎆", "Blessing": "🧧", "Rich": "🤑",
    "Duh": "😑", "Sick": "🤒", "Pup": "🐶", "Tea": "🍵", "Worship": "🙏", "Moue": "😗",
}

#: Chinese names (simplified and traditional) -> English name.
_CHINESE = {
    "微笑": "Smile", "撇嘴": "Grimace", "色": "Drool", "发呆": "Scowl", "發呆": "Scowl", "得意": "CoolGuy",
    "流泪": "Sob", "流淚": "Sob", "害羞": "Shy", "闭嘴": "Silent", "閉嘴": "Silent", "睡": "Sleep",
    "大哭": "Cry", "尴尬": "Awkward", "尷尬": "Awkward", "发怒": "Angry", "發怒": "Angry", "调皮": "Tongue",
    "調皮": "Tongue", "呲牙": "Grin", "惊讶": "Surprise", "驚訝": "Surprise", "难过": "Frown", "難過": "Frown",
    "酷": "Ruthless", "冷汗": "Blush", "抓狂": "Scream", "吐": "Puke", "偷笑": "Chuckle", "愉快": "Joyful",
    "可爱": "Joyful", "白眼": "Slight", "傲慢": "Smug", "饥饿": "Hungry", "饑餓": "Hungry", "困": "Drowsy",
    "惊恐": "Panic", "驚恐": "Panic", "流汗": "Sweat", "憨笑": "Laugh", "悠闲": "Commando", "悠閑": "Commando",
    "大兵": "Commando", "奋斗": "Determined", "奮鬥": "Determined", "咒骂": "Scold", "咒罵": "Scold",
    "疑问": "Shocked", "疑問": "Shocked", "嘘": "Shhh", "噓": "Shhh", "晕": "Dizzy", "暈": "Dizzy",
    "疯了": "Tormented", "瘋了": "Tormented", "折磨": "Tormented", "衰": "Toasted", "骷髅": "Skull",
    "骷髏頭": "Skull", "敲打": "Hammer", "再见": "Bye", "再見": "Bye", "擦汗": "Speechless", "抠鼻": "NosePick",
    "摳鼻": "NosePick", "鼓掌": "Clap", "糗大了": "Shame", "坏笑": "Trick", "壞笑": "Trick", "左哼哼": "Bah！L",
    "右哼哼": "Bah！R", "哈欠": "Yawn", "鄙视": "Pooh-pooh", "鄙視": "Pooh-pooh", "委屈": "Shrunken",
    "快哭了": "TearingUp", "阴险": "Sly", "陰險": "Sly", "亲亲": "Kiss", "親親": "Kiss", "吓": "Wrath",
    "嚇": "Wrath", "可怜": "Whimper", "可憐": "Whimper", "菜刀": "Cleaver", "西瓜": "Watermelon",
    "啤酒": "Beer", "篮球": "Basketball", "籃球": "Basketball", "乒乓": "PingPong", "咖啡": "Coffee",
    "饭": "Rice", "飯": "Rice", "猪头": "Pig", "豬頭": "Pig", "玫瑰": "Rose", "凋谢": "Wilt", "枯萎": "Wilt",
    "示爱": "Lips", "嘴唇": "Lips", "爱心": "Heart", "愛心": "Heart", "心碎": "BrokenHeart", "蛋糕": "Cake",
    "闪电": "Lightning", "閃電": "Lightning", "炸弹": "Bomb", "炸彈": "Bomb", "刀": "Dagger", "足球": "Soccer",
    "瓢虫": "Ladybug", "甲蟲": "Ladybug", "便便": "Poop", "月亮": "Moon", "太阳": "Sun", "太陽": "Sun",
    "礼物": "Gift", "禮物": "Gift", "拥抱": "Hug", "擁抱": "Hug", "强": "ThumbsUp", "強": "ThumbsUp",
    "弱": "ThumbsDown", "握手": "Shake", "胜利": "Peace", "勝利": "Peace", "抱拳": "Fight", "勾引": "Beckon",
    "拳头": "Fist", "拳頭": "Fist", "差劲": "Pinky", "差勁": "Pinky", "爱你": "RockOn", "愛你": "RockOn",
    "NO": "Nuh-uh", "OK": "OK", "爱情": "InLove", "愛情": "InLove", "飞吻": "Blowkiss", "飛吻": "Blowkiss",
    "跳跳": "Waddle", "发抖": "Tremble", "發抖": "Tremble", "怄火": "Aaagh!", "噴火": "Aaagh!",
    "转圈": "Twirl", "轉圈": "Twirl", "磕头": "Kotow", "磕頭": "Kotow", "回头": "Dramatic", "回頭": "Dramatic",
    "跳绳": "JumpRope", "跳繩": "JumpRope", "投降": "Surrender", "挥手": "Surrender", "激动": "Hooray",
    "激動": "Hooray", "街舞": "Meditate", "乱舞": "Meditate", "亂舞": "Meditate", "献吻": "Smooch",
    "獻吻": "Smooch", "左太极": "TaiChi L", "左太極": "TaiChi L", "右太极": "TaiChi R", "右太極": "TaiChi R",
    "嘿哈": "Hey", "捂脸": "Facepalm", "掩面": "Facepalm", "奸笑": "Smirk", "机智": "Smart", "機智": "Smart",
    "皱眉": "Concerned", "皺眉": "Concerned", "耶": "Yeah!", "歐耶": "Yeah!", "红包": "Packet", "紅包": "Packet",
    "鸡": "Chick", "小雞": "Chick", "蜡烛": "Candle", "蠟燭": "Candle", "吃瓜": "Onlooker", "加油": "GoForIt",
    "汗": "Sweats", "天啊": "OMG", "Emm": "Emm", "社会社会": "Respect", "旺柴": "Doge", "好的": "NoProb",
    "打脸": "MyBad", "打臉": "MyBad", "加油加油": "KeepFighting", "哇": "Wow", "翻白眼": "Boring",
    "裂开": "Broken", "苦涩": "Hurt", "叹气": "Sigh", "嘆息": "Sigh", "失望": "Let Down", "666": "Awesome",
    "笑脸": "Happy", "笑臉": "Happy", "破涕为笑": "Lol", "破涕為笑": "Lol", "脸红": "Flushed",
    "臉紅": "Flushed", "庆祝": "Party", "慶祝": "Party", "爆竹": "Firecracker", "烟花": "Fireworks",
    "煙花": "Fireworks", "福": "Blessing", "發": "Rich", "无语": "Duh", "無語": "Duh", "生病": "Sick",
    "小狗": "Pup", "茶": "Tea", "合十": "Worship", "囧": "Blush", "让我看看": "Onlooker", "吐舌": "Tongue",
}

#: The ``/:`` shorthand of early WeChat versions (the part after ``/:``) -> English name.
_LEGACY = {
    ":)": "Smile", ":~": "Grimace", ":B": "Drool", ":|": "Scowl", "8-)": "CoolGuy", ":<": "Sob",
    ":$": "Shy", ":X": "Silent", ":Z": "Sleep", ":'(": "Cry", ':"(': "Cry", ":-|": "Awkward", ":@": "Angry",
    ":P": "Tongue", ":D": "Grin", ":O": "Surprise", ":(": "Frown", ":+": "Ruthless", "--b": "Blush",
    ":Q": "Scream", ":T": "Puke", ",@P": "Chuckle", ",@-D": "Joyful", ":d": "Slight", ",@o": "Smug",
    ":g": "Hungry", "|-)": "Drowsy", ":!": "Panic", ":L": "Sweat", ":>": "Laugh", ":,@": "Commando",
    ",@f": "Determined", ":-S": "Scold", "?": "Shocked", ",@x": "Shhh", ",@@": "Dizzy", ":8": "Tormented",
    ",@!": "Toasted", "!!!": "Skull", "xx": "Hammer", "bye": "Bye", "wipe": "Speechless", "dig": "NosePick",
    "handclap": "Clap", "&-(": "Shame", "B-)": "Trick", "<@": "Bah！L", "@>": "Bah！R", ":-O": "Yawn",
    ">-|": "Pooh-pooh", "P-(": "Shrunken", ':"|': "TearingUp", "X-)": "Sly", ":*": "Kiss", "@x": "Wrath",
    "8*": "Whimper", "pd": "Cleaver", "<W>": "Watermelon", "beer": "Beer", "basketb": "Basketball",
    "oo": "PingPong", "coffee": "Coffee", "eat": "Rice", "pig": "Pig", "rose": "Rose", "fade": "Wilt",
    "showlove": "Lips", "heart": "Heart", "break": "BrokenHeart", "cake": "Cake", "li": "Lightning",
    "bome": "Bomb", "kn": "Dagger", "footb": "Soccer", "ladybug": "Ladybug", "shit": "Poop", "moon": "Moon",
    "sun": "Sun", "gift": "Gift", "hug": "Hug", "strong": "ThumbsUp", "weak": "ThumbsDown", "share": "Shake",
    "v": "Peace", "@)": "Fight", "jj": "Beckon", "@@": "Fist", "bad": "Pinky", "lvu": "RockOn", "no": "Nuh-uh",
    "ok": "OK", "love": "InLove", "<L>": "Blowkiss", "jump": "Waddle", "shake": "Tremble", "<O>": "Aaagh!",
    "circle": "Twirl", "kotow": "Kotow", "turn": "Dramatic", "skip": "JumpRope", "oY": "Surrender",
    "#-0": "Hooray", "hiphot": "Meditate", "kiss": "Smooch", "<&": "TaiChi L", "&>": "TaiChi R",
}


def _lookup(name: str) -> str | None:
    english = _CHINESE.get(name, name)
    return EMOJI.get(english)


#: Every bracketed name (English or Chinese) -> its emoji: one lookup per code found in a text.
_BY_NAME = {name: emoji for name in {*EMOJI, *_CHINESE} if (emoji := _lookup(name))}
_BRACKET = re.compile(r"\[([^\[\]\n]{1,12})\]")
# Longest codes first so "/:,@-D" wins over "/:,@".
_LEGACY_RE = re.compile("/:(" + "|".join(re.escape(k) for k in sorted(_LEGACY, key=len, reverse=True)) + ")")


def _bracket(match: re.Match[str]) -> str:
    return _BY_NAME.get(match[1]) or match[0]


def replace_emoji(text: str) -> str:
    """Replace WeChat smiley codes in a message text by Unicode emoji; unknown codes are kept."""
    if "[" in text:
        text = _BRACKET.sub(_bracket, text)
    if "/:" in text:
        text = _LEGACY_RE.sub(lambda m: EMOJI[_LEGACY[m.group(1)]], text)
    return text


def known_codes() -> int:
    """How many distinct codes are mapped (for the docs and a test)."""
    return len({*EMOJI, *_CHINESE, *(f"/:{k}" for k in _LEGACY)})
