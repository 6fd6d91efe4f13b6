//! Error messages in the account's language. Zoom localizes `message` and keeps `code`,
//! so a client that branches on text breaks on a Japanese or French account: the
//! simulator can be set to either to prove a client does not.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
pub enum Language {
    #[default]
    #[serde(rename = "en-US")]
    #[value(name = "en-US")]
    English,
    #[serde(rename = "ja-JP")]
    #[value(name = "ja-JP")]
    Japanese,
    #[serde(rename = "fr-FR")]
    #[value(name = "fr-FR")]
    French,
}

impl Language {
    pub fn tag(self) -> &'static str {
        match self {
            Language::English => "en-US",
            Language::Japanese => "ja-JP",
            Language::French => "fr-FR",
        }
    }
}

/// Every message the simulator sends, with its arguments.
#[derive(Debug, Clone)]
pub enum Msg<'a> {
    UserNotFound(&'a str),
    InvalidToken,
    ExpiredToken,
    MissingScopes(&'a str),
    Validation,
    InvalidPageToken,
    PageSizeTooLarge(usize),
    AdminCannotBeDisassociated,
    CannotDeleteRoom,
    RoomOrAdminStatus,
    RoomCannotBeBasic(&'a str),
    DeactivatedCannotBeDeleted,
    ManagedDomain,
    InvitationExpired,
    PublishedEvents,
    UpcomingEvents,
    TransferToSelf,
    TransferTargetUnlicensed,
    PendingSettings,
    PerSecondLimit,
    DailyLimit,
    ConcurrentDisassociate,
}

/// The message text for `msg` in `language`.
pub fn text(language: Language, msg: &Msg<'_>) -> String {
    use Language::{English as En, French as Fr, Japanese as Ja};
    match (msg, language) {
        (Msg::UserNotFound(id), En) => format!("User does not exist: {id}."),
        (Msg::UserNotFound(id), Ja) => format!("ユーザーが存在しません: {id}。"),
        (Msg::UserNotFound(id), Fr) => format!("L'utilisateur n'existe pas : {id}."),
        (Msg::InvalidToken, En) => "Invalid access token.".into(),
        (Msg::InvalidToken, Ja) => "無効なアクセストークンです。".into(),
        (Msg::InvalidToken, Fr) => "Jeton d'accès non valide.".into(),
        (Msg::ExpiredToken, En) => "Access token is expired.".into(),
        (Msg::ExpiredToken, Ja) => "アクセストークンの有効期限が切れています。".into(),
        (Msg::ExpiredToken, Fr) => "Le jeton d'accès a expiré.".into(),
        (Msg::MissingScopes(s), En) => format!("Invalid access token, does not contain scopes:[{s}]."),
        (Msg::MissingScopes(s), Ja) => format!("無効なアクセストークンです。スコープが含まれていません:[{s}]。"),
        (Msg::MissingScopes(s), Fr) => format!("Jeton d'accès non valide, il ne contient pas les scopes :[{s}]."),
        (Msg::Validation, En) => "Validation Failed.".into(),
        (Msg::Validation, Ja) => "検証に失敗しました。".into(),
        (Msg::Validation, Fr) => "La validation a échoué.".into(),
        (Msg::InvalidPageToken, En) => "The next page token is invalid or expired.".into(),
        (Msg::InvalidPageToken, Ja) => "次のページトークンが無効か、期限切れです。".into(),
        (Msg::InvalidPageToken, Fr) => "Le jeton de page suivante est non valide ou a expiré.".into(),
        (Msg::PageSizeTooLarge(max), En) => format!("The page size cannot be greater than {max}."),
        (Msg::PageSizeTooLarge(max), Ja) => format!("ページサイズは {max} を超えることはできません。"),
        (Msg::PageSizeTooLarge(max), Fr) => format!("La taille de page ne peut pas dépasser {max}."),
        (Msg::AdminCannotBeDisassociated, En) => "You can not disassociate an Admin user.".into(),
        (Msg::AdminCannotBeDisassociated, Ja) => "管理者ユーザーの関連付けを解除することはできません。".into(),
        (Msg::AdminCannotBeDisassociated, Fr) => "Vous ne pouvez pas dissocier un utilisateur administrateur.".into(),
        (Msg::CannotDeleteRoom, En) => "Cannot delete a Zoom Rooms user.".into(),
        (Msg::CannotDeleteRoom, Ja) => "Zoom Rooms ユーザーは削除できません。".into(),
        (Msg::CannotDeleteRoom, Fr) => "Impossible de supprimer un utilisateur Zoom Rooms.".into(),
        (Msg::RoomOrAdminStatus, En) => "Zoom Room and Admin users' status cannot be activated or deactivated.".into(),
        (Msg::RoomOrAdminStatus, Ja) => {
            "Zoom Room および管理者ユーザーのステータスは有効化または無効化できません。".into()
        }
        (Msg::RoomOrAdminStatus, Fr) => {
            "Le statut des utilisateurs Zoom Room et administrateurs ne peut être ni activé ni désactivé.".into()
        }
        (Msg::RoomCannotBeBasic(id), En) => format!("A Zoom Room user cannot be changed to a free user type: {id}"),
        (Msg::RoomCannotBeBasic(id), Ja) => format!("Zoom Room ユーザーを無料ユーザータイプに変更することはできません: {id}"),
        (Msg::RoomCannotBeBasic(id), Fr) => {
            format!("Un utilisateur Zoom Room ne peut pas passer à un type d'utilisateur gratuit : {id}")
        }
        (Msg::DeactivatedCannotBeDeleted, En) => {
            "Unable to delete this deactivated user. Please contact Zoom support team for more information.".into()
        }
        (Msg::DeactivatedCannotBeDeleted, Ja) => {
            "この無効化されたユーザーは削除できません。Zoom サポートチームにお問い合わせください".into()
        }
        (Msg::DeactivatedCannotBeDeleted, Fr) => {
            "Impossible de supprimer cet utilisateur désactivé. Veuillez contacter l'assistance Zoom".into()
        }
        (Msg::ManagedDomain, En) => "You can not disassociate a user with managed domain.".into(),
        (Msg::ManagedDomain, Ja) => "管理対象ドメインのユーザーの関連付けを解除することはできません。".into(),
        (Msg::ManagedDomain, Fr) => "Vous ne pouvez pas dissocier un utilisateur d'un domaine géré.".into(),
        (Msg::InvitationExpired, En) => "A valid invitation to join the Zoom account was not found for this user.".into(),
        (Msg::InvitationExpired, Ja) => "このユーザーの有効な招待が見つかりません。招待の有効期限が切れています。".into(),
        (Msg::InvitationExpired, Fr) => "Aucune invitation valide pour cet utilisateur : l'invitation a expiré.".into(),
        (Msg::PublishedEvents, En) => {
            "This user has published events on Zoom Events and you do not specify a target user to transfer data.".into()
        }
        (Msg::PublishedEvents, Ja) => {
            "このユーザーはすでに Zoom Events でイベントを公開しています。削除またはリンク解除するには transfer_email を指定してください。".into()
        }
        (Msg::PublishedEvents, Fr) => {
            "Cet utilisateur a déjà publié des événements dans Zoom Events. Indiquez transfer_email pour le supprimer ou le dissocier.".into()
        }
        (Msg::UpcomingEvents, En) => "You cannot deactivate this user because the user has an upcoming Zoom Events scheduled.".into(),
        (Msg::UpcomingEvents, Ja) => "このユーザーには予定されている Zoom Events があるため、変更できません。".into(),
        (Msg::UpcomingEvents, Fr) => "Impossible de modifier cet utilisateur : des Zoom Events sont programmés.".into(),
        (Msg::TransferToSelf, En) => "The transfer-to email address cannot be the same as the unlinked or deleted user's email address.".into(),
        (Msg::TransferToSelf, Ja) => "転送先メールアドレスを削除対象ユーザーのメールアドレスと同じにすることはできません。".into(),
        (Msg::TransferToSelf, Fr) => "L'adresse de transfert doit différer de celle de l'utilisateur supprimé.".into(),
        (Msg::TransferTargetUnlicensed, En) => "The destination user does not have a Licensed or higher license and cannot receive this data.".into(),
        (Msg::TransferTargetUnlicensed, Ja) => "転送先ユーザーにはライセンス以上のライセンスが必要です。".into(),
        (Msg::TransferTargetUnlicensed, Fr) => "L'utilisateur de destination doit disposer d'une licence.".into(),
        (Msg::PendingSettings, En) => "You can not access settings of users that are still in pending state.".into(),
        (Msg::PendingSettings, Ja) => "保留中のユーザーの設定にはアクセスできません。".into(),
        (Msg::PendingSettings, Fr) => "Impossible d'accéder aux paramètres d'utilisateurs encore en attente.".into(),
        (Msg::PerSecondLimit, En) => {
            "You have reached the maximum per-second rate limit for this API. Try again later.".into()
        }
        (Msg::PerSecondLimit, Ja) => "この API の 1 秒あたりのレート制限に達しました。後でもう一度お試しください。".into(),
        (Msg::PerSecondLimit, Fr) => {
            "Vous avez atteint la limite de débit par seconde de cette API. Réessayez plus tard.".into()
        }
        (Msg::DailyLimit, En) => "You have reached the maximum daily rate limit for this API. Refer to the response header for details on when you can make another request.".into(),
        (Msg::DailyLimit, Ja) => "この API の 1 日あたりのレート制限に達しました。次にリクエストできる時刻はレスポンスヘッダーを参照してください。".into(),
        (Msg::DailyLimit, Fr) => "Vous avez atteint la limite quotidienne de cette API. Consultez l'en-tête de la réponse pour savoir quand réessayer.".into(),
        (Msg::ConcurrentDisassociate, En) => {
            "Too many concurrent requests. A request to disassociate this user has already been made.".into()
        }
        (Msg::ConcurrentDisassociate, Ja) => {
            "同時リクエストが多すぎます。このユーザーの関連付け解除リクエストはすでに送信されています。".into()
        }
        (Msg::ConcurrentDisassociate, Fr) => {
            "Trop de requêtes simultanées. Une demande de dissociation de cet utilisateur a déjà été faite.".into()
        }
    }
}
