"""Message payloads as WeChat for iOS stores them in ``Chat_*.Message`` (XML modelled on public samples)."""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr


def image(md5: str, length: int, sender: str = "") -> str:
    who = f' fromusername="{sender}"' if sender else ""
    return ('<?xml version="1.0"?>\n<msg>\n\t<img aeskey="8d7e0c2a9b1f4e3d" encryver="1"'
            ' cdnthumbaeskey="8d7e0c2a9b1f4e3d"'
            f' cdnthumburl="3057020100044b30490201000204{md5[:16]}" cdnthumblength="3086" cdnthumbheight="120"'
            f' cdnthumbwidth="90" cdnmidheight="0" cdnmidwidth="0" cdnhdheight="0" cdnhdwidth="0"'
            f' cdnmidimgurl="3057020100044b30490201000204{md5[16:]}" length="{length}" md5="{md5}"{who} />\n'
            '\t<platform_signature></platform_signature>\n\t<imgdatahash></imgdatahash>\n</msg>')


def voice(ms: int, length: int, sender: str, fmt: int = 4) -> str:
    return (f'<msg><voicemsg endflag="1" cancelflag="0" forwardflag="0" voiceformat="{fmt}" voicelength="{ms}"'
            f' length="{length}" bufid="0" aeskey="" voiceurl="" voicemd5="" clientmsgid="41c7b3e9{ms}"'
            f' fromusername="{sender}" /></msg>')


def video(seconds: int, length: int, sender: str, md5: str) -> str:
    return ('<?xml version="1.0"?>\n<msg>\n\t<videomsg aeskey="5a0b7f1c" cdnvideourl="3057020100044b3049"'
            f' cdnthumbaeskey="5a0b7f1c" cdnthumburl="3057020100044b3049" length="{length}" playlength="{seconds}"'
            f' cdnthumblength="5418" cdnthumbwidth="224" cdnthumbheight="398" fromusername="{sender}"'
            f' md5="{md5}" newmd5="" isad="0" />\n</msg>')


def sticker(md5: str, sender: str, to: str) -> str:
    return (f'<msg><emoji fromusername="{sender}" tousername="{to}" type="2" idbuffer="media:0_0" md5="{md5}"'
            ' len="24416" productid="" androidmd5="{md5}" androidlen="24416" s60v3md5="" s60v3len=""'
            f' cdnurl="http://wxapp.tc.qq.com/262/20304/stodownload?m={md5}&amp;filekey={md5}" designerid=""'
            ' thumburl="" encrypturl="" aeskey="" externurl="" externmd5="" width="240" height="240" tpurl=""'
            ' tpauthkey="" attachedtext="" attachedtextcolor="" lensid="" emojiattr="" linkid="" desc="">'
            '</emoji><gameext type="0" content="0"></gameext></msg>')


def location(lat: float, lon: float, label: str, poi: str, sender: str) -> str:
    return (f'<?xml version="1.0"?>\n<msg>\n\t<location x="{lat:.6f}" y="{lon:.6f}" scale="16" label={quoteattr(label)}'
            f' maptype="roadmap" poiname={quoteattr(poi)} poiid="qqmap_{abs(hash((lat, lon))) % 10**10}"'
            f' fromusername="{sender}" />\n</msg>')


def _app(inner: str, sender: str, app_type: int, extra: str = "", appname: str = "") -> str:
    return (f'<msg><appmsg appid="" sdkver="0">{inner}<type>{app_type}</type>{extra}</appmsg>'
            f'<fromusername>{sender}</fromusername><scene>0</scene><appinfo><version>1</version>'
            f'<appname>{escape(appname)}</appname></appinfo><commenturl></commenturl></msg>')


def link(title: str, des: str, url: str, sender: str, source: str = "", source_user: str = "") -> str:
    inner = (f"<title>{escape(title)}</title><des>{escape(des)}</des><action>view</action><showtype>0</showtype>"
             f"<content /><url>{escape(url)}</url><dataurl /><lowurl />"
             f"<thumburl>{escape(url)}/thumb.jpg</thumburl>")
    extra = (f"<appattach><totallen>0</totallen><attachid /><emoticonmd5></emoticonmd5><fileext /></appattach>"
             f"<sourceusername>{source_user}</sourceusername>"
             f"<sourcedisplayname>{escape(source)}</sourcedisplayname>")
    return _app(inner, sender, 5, extra)


def file(title: str, size: int, ext: str, md5: str, sender: str) -> str:
    inner = f"<title>{escape(title)}</title><des></des><action>view</action><showtype>0</showtype><content />"
    extra = (f"<url></url><appattach><totallen>{size}</totallen><attachid>@cdn_{md5}_1</attachid>"
             f"<emoticonmd5></emoticonmd5><fileext>{ext}</fileext><cdnattachurl>3057020100044b30</cdnattachurl>"
             f"<aeskey>0c1d2e3f</aeskey><encryver>1</encryver></appattach><md5>{md5}</md5>")
    return _app(inner, sender, 6, extra)


def transfer(amount: str, memo: str, paysubtype: int, payer: str, receiver: str, transfer_id: str) -> str:
    upgrade = "https://support.weixin.qq.com/cgi-bin/mmsupport-bin/readtemplate?t=page/common_page__upgrade&text=text001"
    inner = (f"<title><![CDATA[微信转账]]></title>"
             f"<des><![CDATA[收到转账{amount.lstrip('￥¥')}元。如需收钱，请点此升级至最新版本]]></des>"
             f"<action /><content><![CDATA[]]></content><url><![CDATA[{upgrade}]]></url>"
             f"<thumburl><![CDATA[{upgrade}]]></thumburl><lowurl /><extinfo />")
    extra = (f"<wcpayinfo><paysubtype>{paysubtype}</paysubtype><feedesc><![CDATA[{amount}]]></feedesc>"
             f"<transcationid><![CDATA[53010000{transfer_id}]]></transcationid>"
             f"<transferid><![CDATA[{transfer_id}]]></transferid><invalidtime><![CDATA[1714000000]]></invalidtime>"
             f"<effectivedate><![CDATA[1]]></effectivedate><pay_memo><![CDATA[{memo}]]></pay_memo>"
             f"<receiver_username><![CDATA[{receiver}]]></receiver_username>"
             f"<payer_username><![CDATA[{payer}]]></payer_username></wcpayinfo>")
    return _app(inner, payer, 2000, extra)


def red_packet(wish: str, sender: str) -> str:
    inner = ("<des><![CDATA[我给你发了一个红包，赶紧去拆!]]></des>"
             "<url><![CDATA[https://wxapp.tenpay.com/mmpayhb/wxhb_personalreceive?showwxpaytitle=1&msgtype=1]]></url>"
             "<title><![CDATA[微信红包]]></title><thumburl><![CDATA[https://wx.gtimg.com/hongbao/bg/hb.png]]></thumburl>")
    extra = (f"<wcpayinfo><templateid><![CDATA[7a2ff8a7d0a0a5b4d4c0b7f1]]></templateid>"
             f"<receivertitle><![CDATA[{wish}]]></receivertitle><sendertitle><![CDATA[{wish}]]></sendertitle>"
             "<scenetext><![CDATA[微信红包]]></scenetext><senderdes><![CDATA[查看红包]]></senderdes>"
             "<receiverdes><![CDATA[领取红包]]></receiverdes>"
             "<nativeurl><![CDATA[wxpay://c2cbizmessagehandler/hongbao/receivehongbao?msgtype=1&channelid=1]]></nativeurl>"
             "<sceneid><![CDATA[1002]]></sceneid><innertype><![CDATA[0]]></innertype>"
             "<locallogoicon><![CDATA[c2c_hongbao_icon_cn]]></locallogoicon></wcpayinfo>")
    return _app(inner, sender, 2001, extra)


def contact_card(username: str, nickname: str, alias: str, province: str, city: str, sex: int = 1) -> str:
    return (f'<?xml version="1.0"?>\n<msg bigheadimgurl="http://wx.qlogo.cn/mmhead/ver_1/{alias}/0"'
            f' smallheadimgurl="http://wx.qlogo.cn/mmhead/ver_1/{alias}/132" username="{username}"'
            f' nickname={quoteattr(nickname)} fullpy="{alias}" shortpy="" alias="{alias}" imagestatus="3"'
            f' scene="17" province={quoteattr(province)} city={quoteattr(city)} sign="" sex="{sex}" certflag="0"'
            ' certinfo="" brandIconUrl="" brandHomeUrl="" brandSubscriptConfigUrl="" brandFlags="0" regionCode="" />')


def mini_program(title: str, source: str, app_id: str, page: str, sender: str) -> str:
    inner = (f"<title>{escape(title)}</title><des></des>"
             f"<url>https://mp.weixin.qq.com/mp/waerrpage?appid={app_id}&amp;type=upgrade&amp;upgradetype=3"
             "#wechat_redirect</url>")
    extra = (f"<sourceusername>gh_8f0b7c2d1e3a@app</sourceusername><sourcedisplayname>{escape(source)}"
             f"</sourcedisplayname><weappinfo><username><![CDATA[gh_8f0b7c2d1e3a@app]]></username>"
             f"<appid><![CDATA[{app_id}]]></appid><type>2</type><version>780</version>"
             f"<pagepath><![CDATA[{page}]]></pagepath><appservicetype>0</appservicetype></weappinfo>")
    return _app(inner, sender, 33, extra)


def quote(reply: str, ref_type: int, ref_svrid: int, ref_from: str, ref_chat_user: str, ref_name: str,
          ref_content: str, sender: str, created: int) -> str:
    inner = f"<title>{escape(reply)}</title><des /><action /><content />"
    extra = (f"<refermsg><type>{ref_type}</type><svrid>{ref_svrid}</svrid><fromusr>{ref_from}</fromusr>"
             f"<chatusr>{ref_chat_user}</chatusr><displayname>{escape(ref_name)}</displayname>"
             f"<content>{escape(ref_content)}</content><createtime>{created}</createtime></refermsg>")
    return _app(inner, sender, 57, extra)


def chat_history(title: str, items: list[dict[str, str]], sender: str) -> str:
    data = []
    for item in items:
        body = f'<dataitem datatype="{item["datatype"]}" dataid="{item["dataid"]}">'
        if item.get("datafmt"):
            body += f"<datafmt>{item['datafmt']}</datafmt>"
        body += (f"<datadesc>{escape(item.get('text', ''))}</datadesc><sourcename>{escape(item['name'])}</sourcename>"
                 f"<sourcetime>{item['time']}</sourcetime><dataitemsource><fromusr>{item['user']}</fromusr>"
                 "</dataitemsource></dataitem>")
        data.append(body)
    desc = "\n".join(f"{i['name']}: {i.get('text') or '[Photo]'}" for i in items)
    record = (f"<recordinfo><title>{escape(title)}</title><desc>{escape(desc)}</desc>"
              f'<datalist count="{len(items)}">{"".join(data)}</datalist><favusername>{sender}</favusername>'
              "</recordinfo>")
    inner = (f"<title>{escape(title)}</title><des>{escape(desc)}</des><action>view</action>"
             "<url>https://support.weixin.qq.com/cgi-bin/mmsupport-bin/readtemplate?t=page/favorite_record__w_unsupport"
             "&amp;from=singlemessage&amp;isappinstalled=0</url>")
    extra = f"<recorditem><![CDATA[{record}]]></recorditem>"
    return _app(inner, sender, 19, extra)


def pat_app(from_user: str, patted: str, template: str, chat_user: str, svrid: int) -> str:
    inner = f"<title><![CDATA[{template}]]></title><des /><action /><content />"
    extra = (f"<patMsg><chatUser>{chat_user}</chatUser><records><recordNum>1</recordNum><record>"
             f"<fromUser>{from_user}</fromUser><pattedUser>{patted}</pattedUser>"
             f"<templete><![CDATA[{template}]]></templete><createTime>1</createTime><readStatus>1</readStatus>"
             f"<svrId>{svrid}</svrId></record></records></patMsg>")
    return _app(inner, from_user, 62, extra)


def pat_sysmsg(from_user: str, patted: str, chat: str, template: str) -> str:
    return (f'<sysmsg type="pat"><pat><fromusername>{from_user}</fromusername><chatusername>{chat}</chatusername>'
            f"<pattedusername>{patted}</pattedusername><patsuffix><![CDATA[]]></patsuffix>"
            f"<patsuffixversion>0</patsuffixversion><template><![CDATA[{template}]]></template></pat></sysmsg>")


def voip(invite_type: int, wording: int, seconds: int) -> str:
    return (f"<voipinvitemsg><roomid>418{seconds}</roomid><key>9061</key><status>2</status>"
            f"<invitetype>{invite_type}</invitetype></voipinvitemsg><voipextinfo><recvtime>1</recvtime>"
            f"</voipextinfo><voiplocalinfo><wordingtype>{wording}</wordingtype><duration>{seconds}</duration>"
            "</voiplocalinfo>")


def revoke(session: str, replace: str, svrid: int) -> str:
    return (f"<sysmsg type=\"revokemsg\"><revokemsg><session>{session}</session><oldmsgid>1</oldmsgid>"
            f"<msgid>{svrid}</msgid><newmsgid>{svrid}</newmsgid><replacemsg><![CDATA[{replace}]]></replacemsg>"
            "<announcement_id><![CDATA[]]></announcement_id></revokemsg></sysmsg>")


def invite_template(inviter: str, inviter_name: str, invited: list[tuple[str, str]]) -> str:
    members = "".join(f"<member><username><![CDATA[{u}]]></username><nickname><![CDATA[{n}]]></nickname></member>"
                      for u, n in invited)
    return ('<sysmsg type="sysmsgtemplate"><sysmsgtemplate><content_template type="tmpl_type_profile">'
            '<plain><![CDATA[]]></plain><template><![CDATA["$username$"邀请"$names$"加入了群聊]]></template>'
            '<link_list><link name="username" type="link_profile"><memberlist><member><username><![CDATA['
            f"{inviter}]]></username><nickname><![CDATA[{inviter_name}]]></nickname></member></memberlist></link>"
            f'<link name="names" type="link_profile"><memberlist>{members}</memberlist>'
            "<separator><![CDATA[、]]></separator></link></link_list></content_template></sysmsgtemplate></sysmsg>")


def room_data(members: list[tuple[str, str]]) -> str:
    """The chat room member list XML kept in ``dbContactChatRoom``."""
    body = "".join(f'<Member UserName="{u}"><DisplayName>{escape(n)}</DisplayName><Flag>0</Flag></Member>'
                   if n else f'<Member UserName="{u}"><Flag>0</Flag></Member>' for u, n in members)
    return f"<RoomData>{body}<InfoMask>1</InfoMask><MaxCount>500</MaxCount></RoomData>"
